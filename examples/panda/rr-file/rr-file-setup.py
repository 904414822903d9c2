#!/usr/bin/python
pass
