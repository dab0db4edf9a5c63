# attack: read the Store proxy's private environment
# expect: run
# reason: starts with "_"
class Script:
    def process_incoming_request(self, request):
        return getattr(Store, '_hh_' + 'env')
