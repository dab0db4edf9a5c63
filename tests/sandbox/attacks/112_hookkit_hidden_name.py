# attack: from-import a name hookkit's module has but does not export (its typing import)
# expect: run
# reason: cannot import name 'Any'
class Script:
    def process_incoming_request(self, request):
        from hookkit import Any
        return str(Any)
