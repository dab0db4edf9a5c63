# attack: make zoneinfo read an arbitrary file
# expect: run
# reason: ValueError
import zoneinfo
class Script:
    def process_incoming_request(self, request):
        return str(zoneinfo.ZoneInfo('/etc/passwd'))
