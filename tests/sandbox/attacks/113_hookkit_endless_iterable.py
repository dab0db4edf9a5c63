# attack: keep the worker busy inside a hookkit loop, outside the script's own lines
# expect: run
# reason: timed out
# limits: timeout_ms=300
import hookkit, itertools
class Script:
    def process_incoming_request(self, request):
        return hookkit.find_missing({'a': {}}, itertools.repeat('a'))
