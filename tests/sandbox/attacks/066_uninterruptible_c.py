# attack: hours of C code that never checks signals (decimal sqrt)
# expect: run
# reason: timed out
# limits: timeout_ms=300
import decimal
class Script:
    def process_incoming_request(self, request):
        ctx = decimal.Context(prec=3000000, Emax=decimal.MAX_EMAX)
        return str(ctx.sqrt(decimal.Decimal(2)))
