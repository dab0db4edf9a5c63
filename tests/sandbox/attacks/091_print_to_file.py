# attack: print into a file object
# expect: run
# reason: print(file=...) is not available
class Script:
    def process_incoming_request(self, request):
        print('x', file=console)
