# attack: change a dict stored on a library class (textwrap)
# expect: ok
import textwrap
class Script:
    def process_incoming_request(self, request):
        table = textwrap.TextWrapper.unicode_whitespace_trans
        table[ord('a')] = 'X'
        table.update({ord('b'): 'Y'})
        return textwrap.TextWrapper().fill('a b')
