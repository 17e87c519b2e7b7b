#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

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
