# attack: walk object.__subclasses__()
# expect: compile
# reason: "__class__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        return ().__class__.__bases__[0].__subclasses__()
