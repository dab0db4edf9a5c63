# attack: call __import__ directly
# expect: compile
# reason: "__import__" is an invalid variable name
class Script:
    def process_incoming_request(self, request):
        return __import__('os').system('id')
