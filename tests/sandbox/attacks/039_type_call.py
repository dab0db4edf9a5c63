# attack: get a type with type()
# expect: compile
# reason: "type" is not allowed
class Script:
    def process_incoming_request(self, request):
        return type(request)
