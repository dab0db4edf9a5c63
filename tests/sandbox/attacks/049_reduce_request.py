# attack: call __reduce__ on the request
# expect: compile
# reason: "__reduce__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        return request.__reduce__()
