# attack: change a hookkit function's default arguments (field(short=True) for everyone)
# expect: compile
# reason: "__defaults__" is an invalid attribute name
import hookkit
class Script:
    def process_incoming_request(self, request):
        hookkit.field.__defaults__ = (False,)
        return hookkit.field('a', 'b')
