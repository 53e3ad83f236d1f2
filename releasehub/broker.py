"""The embedded broker: kombu's filesystem transport, with each message written atomically.

kombu writes a message file in place, under its final name. A worker polling the folder can
move and read it in the moment between its creation and its write, read an empty file, and die
of a JSONDecodeError (seen with `make run`'s two workers). Here the message is written under a
name no consumer matches and then renamed into place, which is atomic on one filesystem.
Registered as the `fsatomic://` transport; production uses Redis.
"""

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # The stubs of kombu's filesystem channel and of its base name this parameter differently.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".part"  # consumers take only names ending in `.{queue}.msg`
        with open(partial, "wb") as f:
            f.write(str_to_bytes(dumps(payload)))
        os.replace(partial, final)


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES.setdefault("fsatomic", "releasehub.broker:Transport")
