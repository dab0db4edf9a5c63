# attack: clear zoneinfo's shared cache so neighbours cannot load time zones
# expect: run
# reason: ZoneInfo.clear_cache changes a cache shared
import zoneinfo
class Script:
    def process_incoming_request(self, request):
        zoneinfo.ZoneInfo.clear_cache()
