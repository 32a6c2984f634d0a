"""cruddur.methods - every method of proto/cruddur/v1, read from the generated descriptors.

At import, every *_pb2 module in cruddur.v1 (what `protoc --python_out` made of
proto/cruddur/v1/*.proto at build time) is imported and its DESCRIPTOR.services_by_name
walked: a new .proto, or a new rpc in one, is callable without Python code, as tools/stubgen
makes C stubs of the same descriptors. For each method a Method: its full name, its request and
response classes, and whether libcruddur may send it twice (stubgen's rule: an
idempotency_level option other than IDEMPOTENCY_UNKNOWN); for each service a class of typed
methods (Activities.home_feed, ...) that a Client binds to itself.

The tables are built once, at import, and only read afterwards: no locks.
"""
import importlib
import pkgutil
import re

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FieldDescriptor

from . import v1 as _v1

__all__ = ["Method", "Service", "methods", "services", "snake_case"]


def snake_case(name):
    """HomeFeed -> home_feed, DbAdmin -> db_admin, GetFileDescriptorSet -> ..._set."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _idempotent(method_desc):
    opts = method_desc.GetOptions()
    return (opts.HasField("idempotency_level") and
            opts.idempotency_level != descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN)


def _idempotency_key_field(message_desc):
    """call.c has_idempotency_key's field: a string named idempotency_key, not repeated, not in
    a oneof; None when the message has none."""
    f = message_desc.fields_by_name.get("idempotency_key")
    if (f is None or f.type != FieldDescriptor.TYPE_STRING or
            f.label == FieldDescriptor.LABEL_REPEATED or f.containing_oneof is not None):
        return None
    return f.name


class Method:
    """One rpc: full_name ("cruddur.v1.Activities/HomeFeed"), service ("cruddur.v1.Activities"),
    name ("HomeFeed"), python_name ("home_feed"), input and output (message classes),
    idempotent (no side effects, or idempotent, in the .proto)."""

    __slots__ = ("full_name", "service", "name", "python_name", "input", "output",
                 "idempotent", "_key_field")

    def __init__(self, service_desc, method_desc, input_cls, output_cls):
        self.service = service_desc.full_name
        self.name = method_desc.name
        self.full_name = "%s/%s" % (self.service, self.name)
        self.python_name = snake_case(self.name)
        self.input = input_cls
        self.output = output_cls
        self.idempotent = _idempotent(method_desc)
        self._key_field = _idempotency_key_field(input_cls.DESCRIPTOR)

    def retryable(self, request):
        """call_retryable: whether request may ever be sent twice."""
        return self.idempotent or (self._key_field is not None and
                                   getattr(request, self._key_field) != "")

    def retry_rule(self):
        if self.idempotent:
            return "retried on UNAVAILABLE"
        if self._key_field is not None:
            return "retried on UNAVAILABLE when idempotency_key is set"
        return "sent once"

    def __repr__(self):
        return "<cruddur.Method %s>" % self.full_name


class Service:
    """The typed methods of one service, bound to a client: client.activities.home_feed(...).
    Subclassed once per service at import (services[...]); a Client makes one of each."""

    __slots__ = ("_client",)
    full_name = ""
    methods = {}

    def __init__(self, client):
        self._client = client

    def __repr__(self):
        return "<cruddur service %s>" % self.full_name


def _stub(method, class_name):
    def call(self, request=None, /, *, deadline_ms=None, metadata=None, **fields):
        return self._client.call(method, request, deadline_ms=deadline_ms, metadata=metadata,
                                 **fields)

    call.__name__ = method.python_name
    call.__qualname__ = "%s.%s" % (class_name, method.python_name)
    call.__doc__ = (
        "%s: %s -> %s (%s).\n\n"
        "Give the request as keyword arguments (its fields) or as a %s; deadline_ms and\n"
        "metadata are this call's. Returns a %s; raises CruddurError."
        % (method.full_name, method.input.DESCRIPTOR.full_name,
           method.output.DESCRIPTOR.full_name, method.retry_rule(),
           method.input.DESCRIPTOR.name, method.output.DESCRIPTOR.name))
    return call


def _load():
    mods = [importlib.import_module("%s.%s" % (_v1.__name__, m.name))
            for m in sorted(pkgutil.iter_modules(_v1.__path__), key=lambda m: m.name)
            if m.name.endswith("_pb2")]
    by_file = {m.DESCRIPTOR.name: m for m in mods}

    def message_class(desc):
        names = []
        d = desc
        while d is not None:
            names.append(d.name)
            d = d.containing_type
        cls = by_file[desc.file.name]
        for name in reversed(names):
            cls = getattr(cls, name)
        return cls

    all_methods, all_services = {}, {}
    for mod in mods:
        for svc in mod.DESCRIPTOR.services_by_name.values():
            class_name = svc.name
            table, attrs = {}, {}
            for md in svc.methods:
                m = Method(svc, md, message_class(md.input_type), message_class(md.output_type))
                table[m.python_name] = m
                all_methods[m.full_name] = m
                attrs[m.python_name] = _stub(m, class_name)
            attrs.update(__slots__=(), full_name=svc.full_name, methods=table,
                         __doc__="%s: %s." % (svc.full_name, ", ".join(table)),
                         __module__=__name__)
            all_services[svc.full_name] = type(class_name, (Service,), attrs)
    return all_methods, all_services


# Full method name -> Method, and full service name -> its Service subclass.
methods, services = _load()
