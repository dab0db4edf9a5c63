# attack: run an event loop
# expect: compile
# reason: import of "asyncio" is not allowed
import asyncio
class Script:
    def process_incoming_request(self, request):
        return 1
