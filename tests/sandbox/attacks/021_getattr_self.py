# attack: reach a builtin's module through __self__ at run time
# expect: run
# reason: is an invalid attribute name because it starts with "_"
class Script:
    def process_incoming_request(self, request):
        return getattr(len, '__se' + 'lf__')
