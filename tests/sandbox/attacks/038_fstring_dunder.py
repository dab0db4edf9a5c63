# attack: dunder inside an f-string
# expect: compile
# reason: "__class__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        return f'{request.__class__}'
