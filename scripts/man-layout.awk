# Lays out the man page swift-argument-parser's generator writes (`make man`): it passes the
# command's discussion through as plain text lines, which man reflows and warns about. Here a blank
# line becomes a paragraph break (.Pp), and the list of variables after "Variables:" a tagged list
# (.Bl -tag), one item per variable, so that `man cinergy` shows it as `cinergy --help` does.
# state: 0 elsewhere, 1 right after "Variables:", 2 inside the list.
state == 2 && (/^\./ || /^$/) { print ".El"; state = 0 }
state == 2 && /^[^ ]/ { print ".It \\&" $0; next }
state == 2 { sub(/^ +/, ""); if ($0 ~ /^[.']/) $0 = "\\&" $0; print; next }
state == 1 && !/^$/ { state = 0 }
/^$/ { if (state == 1) { print ".Bl -tag -width Ds"; state = 2 } else print ".Pp"; next }
$0 == "Variables:" { state = 1 }
{ print }
END { if (state == 2) print ".El" }
