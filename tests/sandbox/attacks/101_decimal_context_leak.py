# attack: leave a generator suspended inside decimal.localcontext(prec=2)
# expect: ok
import decimal
class Script:
    def process_incoming_request(self, request):
        def g():
            with decimal.localcontext(prec=2):
                yield 1
        self.keep = g()
        next(self.keep)
        return str(decimal.Decimal(1) / decimal.Decimal(3))
