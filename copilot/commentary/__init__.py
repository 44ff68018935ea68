"""Commentary on a pick by an OpenAI-compatible chat model (streamed, consistent with the pick)."""
from copilot.commentary.commentator import (CommentaryJob, CommentaryNotice, CommentaryResult, Commentator,
                                            NoticeKind)
from copilot.commentary.guard import SentenceGuard, recommends_other

__all__ = ["Commentator", "CommentaryJob", "CommentaryNotice", "CommentaryResult", "NoticeKind", "SentenceGuard",
           "recommends_other"]
