# attack: write an attribute on a hookkit function (functions are shared by the worker)
# expect: run
# reason: cannot change function shorten
import hookkit
class Script:
    def process_incoming_request(self, request):
        hookkit.shorten.limit = 1
        return 'changed'
