# attack: point zoneinfo at another directory
# expect: run
# reason: zoneinfo.reset_tzpath is not available
import zoneinfo
class Script:
    def process_incoming_request(self, request):
        zoneinfo.reset_tzpath(['/etc'])
