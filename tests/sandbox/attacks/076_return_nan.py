# attack: return NaN
# expect: run
# reason: NaN and Infinity are not JSON
class Script:
    def process_incoming_request(self, request):
        return {'content': {'n': float('nan')}}
