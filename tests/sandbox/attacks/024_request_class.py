# attack: reach FrozenDict through the request
# expect: compile
# reason: "__class__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        return request.__class__
