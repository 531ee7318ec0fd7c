"""Files in and out: find, read, validate and type the input tables; write outputs safely."""
