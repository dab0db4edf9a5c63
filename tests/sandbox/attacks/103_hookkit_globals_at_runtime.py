# attack: read a hookkit function's __globals__ through getattr with a built name
# expect: run
# reason: is an invalid attribute name because it starts with "_"
from hookkit import find_missing
class Script:
    def process_incoming_request(self, request):
        return getattr(find_missing, '__glo' + 'bals__')
