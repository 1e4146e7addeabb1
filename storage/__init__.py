"""Storage: the node's SQLAlchemy models, repositories, migrations and blob store.

SQLAlchemy is used only inside this package; the hub works through
:class:`Database` and the repositories of a :class:`Store`.
"""

import storage.cases.tables  # noqa: F401  (the case stores' tables join the metadata)
from storage.blobs import BlobStore
from storage.database import Database
from storage.deliveries import Outcome
from storage.errors import AlreadyExists, BlobCorrupted, NotFound, StorageError
from storage.mailbox import AttachmentMeta, FolderItem, NewMessage
from storage.models import Attachment as StoredAttachment
from storage.models import Delivery as StoredDelivery
from storage.models import Message as StoredMessage
from storage.models import QuarantineItem as StoredQuarantineItem
from storage.models import User as StoredUser
from storage.outbox import Pending, Queued
from storage.store import Store, UnitOfWork

__all__ = [
    "AlreadyExists",
    "AttachmentMeta",
    "BlobCorrupted",
    "BlobStore",
    "Database",
    "FolderItem",
    "NewMessage",
    "NotFound",
    "Outcome",
    "Pending",
    "Queued",
    "StorageError",
    "Store",
    "StoredAttachment",
    "StoredDelivery",
    "StoredMessage",
    "StoredQuarantineItem",
    "StoredUser",
    "UnitOfWork",
]
