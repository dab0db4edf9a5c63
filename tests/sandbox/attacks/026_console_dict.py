# attack: read console.__dict__
# expect: compile
# reason: "__dict__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        return console.__dict__
