# attack: walk the MRO of a class
# expect: run
# reason: "mro" is not allowed
class Script:
    def process_incoming_request(self, request):
        return getattr(dict, 'm' + 'ro')()
