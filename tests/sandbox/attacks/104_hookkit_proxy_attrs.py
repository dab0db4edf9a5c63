# attack: reach the dict behind the hookkit proxy (shared by every integration of the worker)
# expect: run
# reason: is an invalid attribute name because it starts with "_"
import hookkit
class Script:
    def process_incoming_request(self, request):
        attrs = getattr(hookkit, '_hh' + '_attrs')
        attrs['link'] = lambda label, url: 'pwned'
        return 'changed'
