# attack: unpickle a gadget
# expect: compile
# reason: import of "pickle" is not allowed
import pickle
class Script:
    def process_incoming_request(self, request):
        return pickle.loads(b'')
