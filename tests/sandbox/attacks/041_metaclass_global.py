# attack: use __metaclass__ directly
# expect: compile
# reason: "__metaclass__" is an invalid variable name
class Script:
    def process_incoming_request(self, request):
        return __metaclass__('X', (), {})
