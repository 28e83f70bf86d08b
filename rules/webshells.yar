rule placeholder_a { strings: $a = "zzzplaceholderzzz" condition: $a }
