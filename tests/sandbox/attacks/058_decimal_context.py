# attack: change the shared decimal context
# expect: run
# reason: decimal.getcontext is not available
import decimal
class Script:
    def process_incoming_request(self, request):
        decimal.getcontext().prec = 1
