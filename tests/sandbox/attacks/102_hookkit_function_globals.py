# attack: read the globals of a hookkit function (hookhub's own module namespace)
# expect: compile
# reason: "__globals__" is an invalid attribute name
import hookkit
class Script:
    def process_incoming_request(self, request):
        return hookkit.link.__globals__
