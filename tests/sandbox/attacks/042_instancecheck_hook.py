# attack: define __instancecheck__ to run code in isinstance
# expect: compile
# reason: "__instancecheck__" is an invalid variable name
class X:
    def __instancecheck__(self, o):
        return True
class Script:
    def process_incoming_request(self, request):
        return 1
