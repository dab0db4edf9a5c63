# attack: change a hookkit colour for every integration with augmented assignment
# expect: run
# reason: cannot change module
import hookkit
class Script:
    def process_incoming_request(self, request):
        hookkit.GREEN += '0'
        return hookkit.GREEN
