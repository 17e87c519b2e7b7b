#ifndef CINERGY_CLIBVIRT_H
#define CINERGY_CLIBVIRT_H

#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/// Loads libvirt's client library (`soname`, normally "libvirt.so.0") with dlopen and resolves
/// the libvirt functions the agent calls. The binary does not link libvirt: a host without libvirt
/// runs the agent with LIBVIRT_URI=none, and the library's dependency tree (GnuTLS, GLib,
/// libcurl, Kerberos...) is mapped only once libvirt is used.
///
/// Returns 0 once the library is loaded (later calls return 0 at once, whatever `soname`), or -1
/// with a message in `error` (at most `length` bytes, NUL-terminated); a failed load can be retried.
/// Thread-safe. Every libvirt function declared in the headers above and called by the agent is
/// defined in this module as a forwarder to the loaded library; calling one before a successful
/// load aborts the process with a message (a programming error).
int cinergy_libvirt_load(const char *soname, char *error, size_t length);

/// Length of the buffer virDomainGetUUIDString() fills: 36 characters and a NUL.
/// VIR_UUID_STRING_BUFLEN is a parenthesised macro expression Swift does not import.
static const int cinergy_uuid_string_buflen = VIR_UUID_STRING_BUFLEN;

/// Registers a VIR_DOMAIN_EVENT_ID_LIFECYCLE callback for every domain of `conn`.
///
/// Wraps virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, ...):
/// VIR_DOMAIN_EVENT_CALLBACK() is a function-pointer cast macro Swift cannot import.
/// Returns the callback ID, or -1 on failure (then `freecb` is not called and
/// the caller still owns `opaque`).
static inline int cinergy_register_lifecycle_callback(virConnectPtr conn,
                                                      virConnectDomainEventCallback cb,
                                                      void *opaque,
                                                      virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}

#endif
