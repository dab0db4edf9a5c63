# attack: traverse attributes with str.format
# expect: compile
# reason: ".format()" is not allowed
class Script:
    def process_incoming_request(self, request):
        return '{0.__class__.__mro__}'.format(1)
