# attack: return a str subclass whose __eq__ lies
# expect: run
# reason: (a subclass of str)
class Liar(str):
    def __eq__(self, other):
        return True
    def __hash__(self):
        return 0
class Script:
    def process_incoming_request(self, request):
        return {'content': {'text': Liar('x')}}
