rule placeholder_b { strings: $a = "zzzplaceholderyyy" condition: $a }
