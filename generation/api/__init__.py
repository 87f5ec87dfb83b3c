"""The REST API (version 1): briefs and their workflow, the ad history read-only.

Views are thin: they check who may do what (generation.briefs.permissions), validate the
request with a serializer and call the same services the web pages call.
"""
