# attack: traverse attributes with format_map
# expect: compile
# reason: ".format_map()" is not allowed
class Script:
    def process_incoming_request(self, request):
        return '{r.__class__}'.format_map({'r': request})
