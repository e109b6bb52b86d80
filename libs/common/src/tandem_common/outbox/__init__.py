"""The transactional outbox: write events with state, publish them afterwards."""

from tandem_common.outbox.writer import OutgoingEvent, publish_later, publish_many_later

__all__ = ["OutgoingEvent", "publish_later", "publish_many_later"]
