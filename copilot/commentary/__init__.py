"""Commentary on a pick by an OpenAI-compatible chat model (streamed, consistent with the pick)."""
from copilot.commentary.commentator import CommentaryJob, CommentaryNotice, CommentaryResult, Commentator
from copilot.commentary.guard import SentenceGuard, recommends_other

__all__ = ["Commentator", "CommentaryJob", "CommentaryNotice", "CommentaryResult", "SentenceGuard",
           "recommends_other"]
