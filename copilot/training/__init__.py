"""Dataset build, training, export (the model store itself is `copilot.store`).

    dataset, reader, filters, split      17lands picks -> a chat dataset folder (`copilot dataset build`)
    config, presets, base_models         TrainConfig, hardware presets and estimates, base-model resolution
    runner                               the training process (`copilot train`): launch, follow, stop, describe
    trainer                              the LoRA/QLoRA loop, built from:
      run_folder, run_state                status.json / metrics.jsonl / STOP, and the RunState enum
      checkpoints                          atomic, checksummed checkpoints and resume
      chat_encoding, data_stream           examples -> token ids with the loss mask; the deterministic stream
      model_setup, validation              device, LoRA model, optimizer, schedule; validation pick accuracy
    export, gguf_llama, lora_gguf        run -> merged GGUF -> quantized -> checked by the gguf engine -> store
    mlp_train, accelerate_config         the MLP baseline's training; multi-GPU launch config
Candidate scoring is `copilot.picking.scoring`, shared with the `hf` engine.
"""
