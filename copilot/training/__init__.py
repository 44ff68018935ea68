"""Dataset build, training, export (the model store itself is `copilot.store`).

    dataset, reader, filters, split      17lands picks -> a chat dataset folder (`copilot dataset build`)
    config, presets, base_models         TrainConfig, hardware presets and estimates, base-model resolution
    runner                               the training process (`copilot train`): launch, follow, stop, describe
    trainer                              SFT on TRL's SFTTrainer (LoRA/QLoRA), built from:
      callbacks, hf_args                   the run protocol as Trainer callbacks; TrainConfig -> Trainer arguments
      run_folder, run_state                status.json / metrics.jsonl / STOP, and the RunState enum
      checkpoints                          the Trainer's checkpoint checksummed and renamed into place; resume
      chat_encoding, sft_data, data_stream messages -> ids + assistant mask (every assistant turn); JSONL access
      model_setup, precision, validation   device, LoRA model, schedule; fp32/bf16 by measurement; whole-draft picks
    dpo, preference                      --method dpo|spin from a finished SFT run (TRL's DPOTrainer); pairs
    export, gguf_llama, lora_gguf        run -> merged GGUF -> quantized -> checked by the gguf engine -> store
    mlp_train, accelerate_config         the MLP baseline's training; multi-GPU launch config
Candidate scoring is `copilot.picking.scoring`, shared with the `hf` engine.
"""
