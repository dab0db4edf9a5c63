# attack: reach collections.abc through the module proxy
# expect: run
# reason: module 'collections' has no attribute 'abc'
import collections
class Script:
    def process_incoming_request(self, request):
        return collections.abc.Mapping
