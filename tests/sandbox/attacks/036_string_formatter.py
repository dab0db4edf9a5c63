# attack: use string.Formatter
# expect: run
# reason: string.Formatter is not available
import string
class Script:
    def process_incoming_request(self, request):
        return string.Formatter().vformat('{0.__class__}', [1], {})
