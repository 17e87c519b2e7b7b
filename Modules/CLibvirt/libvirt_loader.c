// libvirt, loaded at run time: the table of libvirt's functions, its loader and the forwarders
// the Swift code calls under libvirt's own names.
//
// The forwarders are hidden: they are not exported from the executable, so libvirt's calls to its
// own public functions still resolve inside libvirt.

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

// From here on, what is declared and defined is hidden (the C library's declarations above are not).
#pragma GCC visibility push(hidden)

#include "CLibvirt.h"

// Every libvirt function the agent calls (tests link libvirt for the others they call). Add a name
// here and a forwarder below.
#define CINERGY_LIBVIRT_FUNCTIONS(X)      \
    X(virConnectClose)                    \
    X(virConnectDomainEventDeregisterAny) \
    X(virConnectDomainEventRegisterAny)   \
    X(virConnectGetAllDomainStats)        \
    X(virConnectIsAlive)                  \
    X(virConnectListAllDomains)           \
    X(virConnectOpen)                     \
    X(virConnectOpenReadOnly)             \
    X(virConnectRef)                      \
    X(virConnectRegisterCloseCallback)    \
    X(virConnectSetKeepAlive)             \
    X(virConnectUnregisterCloseCallback)  \
    X(virDomainAttachDeviceFlags)         \
    X(virDomainFree)                      \
    X(virDomainGetID)                     \
    X(virDomainGetInfo)                   \
    X(virDomainGetMetadata)               \
    X(virDomainGetName)                   \
    X(virDomainGetState)                  \
    X(virDomainGetUUIDString)             \
    X(virDomainGetVcpusFlags)             \
    X(virDomainGetXMLDesc)                \
    X(virDomainLookupByUUIDString)        \
    X(virDomainStatsRecordListFree)       \
    X(virEventRegisterDefaultImpl)        \
    X(virEventRunDefaultImpl)             \
    X(virGetLastError)                    \
    X(virInitialize)                      \
    X(virResetLastError)                  \
    X(virSetErrorFunc)                    \
    X(virTypedParamsGetUInt)

// One field per function, typed from libvirt's own declaration.
struct cinergy_libvirt_api {
#define CINERGY_FIELD(name) __typeof__(&name) name;
    CINERGY_LIBVIRT_FUNCTIONS(CINERGY_FIELD)
#undef CINERGY_FIELD
};

static struct cinergy_libvirt_api table;
static _Atomic(const struct cinergy_libvirt_api *) loaded = NULL;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int cinergy_libvirt_load(const char *soname, char *error, size_t length) {
    if (atomic_load_explicit(&loaded, memory_order_acquire) != NULL) {
        return 0;
    }
    pthread_mutex_lock(&load_lock);
    int result = 0;
    if (atomic_load_explicit(&loaded, memory_order_acquire) == NULL) {
        void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) {
            const char *reason = dlerror();
            snprintf(error, length, "%s", reason != NULL ? reason : soname);
            result = -1;
        } else {
            struct cinergy_libvirt_api resolved;
            const char *missing = NULL;
#define CINERGY_RESOLVE(name)                                                   \
            if (missing == NULL) {                                              \
                resolved.name = (__typeof__(&name))dlsym(library, #name);       \
                if (resolved.name == NULL) {                                    \
                    missing = #name;                                            \
                }                                                               \
            }
            CINERGY_LIBVIRT_FUNCTIONS(CINERGY_RESOLVE)
#undef CINERGY_RESOLVE
            if (missing != NULL) {
                snprintf(error, length, "%s has no %s: this libvirt is older than the agent needs", soname, missing);
                dlclose(library);
                result = -1;
            } else {
                table = resolved;
                atomic_store_explicit(&loaded, &table, memory_order_release);
            }
        }
    }
    pthread_mutex_unlock(&load_lock);
    return result;
}

static const struct cinergy_libvirt_api *api(const char *function) {
    const struct cinergy_libvirt_api *current = atomic_load_explicit(&loaded, memory_order_acquire);
    if (current == NULL) {
        fprintf(stderr, "cinergy: %s called before libvirt was loaded (cinergy_libvirt_load)\n", function);
        abort();
    }
    return current;
}

#define CINERGY_FORWARD(result, name, parameters, arguments) \
    result name parameters { return api(#name)->name arguments; }
#define CINERGY_FORWARD_VOID(name, parameters, arguments) \
    void name parameters { api(#name)->name arguments; }

CINERGY_FORWARD(int, virConnectClose, (virConnectPtr conn), (conn))
CINERGY_FORWARD(int, virConnectDomainEventDeregisterAny, (virConnectPtr conn, int callbackID),
                (conn, callbackID))
CINERGY_FORWARD(int, virConnectDomainEventRegisterAny,
                (virConnectPtr conn, virDomainPtr dom, int eventID,
                 virConnectDomainEventGenericCallback cb, void *opaque, virFreeCallback freecb),
                (conn, dom, eventID, cb, opaque, freecb))
CINERGY_FORWARD(int, virConnectGetAllDomainStats,
                (virConnectPtr conn, unsigned int stats, virDomainStatsRecordPtr **retStats,
                 unsigned int flags),
                (conn, stats, retStats, flags))
CINERGY_FORWARD(int, virConnectIsAlive, (virConnectPtr conn), (conn))
CINERGY_FORWARD(int, virConnectListAllDomains,
                (virConnectPtr conn, virDomainPtr **domains, unsigned int flags),
                (conn, domains, flags))
CINERGY_FORWARD(virConnectPtr, virConnectOpen, (const char *name), (name))
CINERGY_FORWARD(virConnectPtr, virConnectOpenReadOnly, (const char *name), (name))
CINERGY_FORWARD(int, virConnectRef, (virConnectPtr conn), (conn))
CINERGY_FORWARD(int, virConnectRegisterCloseCallback,
                (virConnectPtr conn, virConnectCloseFunc cb, void *opaque, virFreeCallback freecb),
                (conn, cb, opaque, freecb))
CINERGY_FORWARD(int, virConnectSetKeepAlive, (virConnectPtr conn, int interval, unsigned int count),
                (conn, interval, count))
CINERGY_FORWARD(int, virConnectUnregisterCloseCallback, (virConnectPtr conn, virConnectCloseFunc cb),
                (conn, cb))
CINERGY_FORWARD(int, virDomainAttachDeviceFlags, (virDomainPtr domain, const char *xml, unsigned int flags),
                (domain, xml, flags))
CINERGY_FORWARD(int, virDomainFree, (virDomainPtr domain), (domain))
CINERGY_FORWARD(unsigned int, virDomainGetID, (virDomainPtr domain), (domain))
CINERGY_FORWARD(int, virDomainGetInfo, (virDomainPtr domain, virDomainInfoPtr info), (domain, info))
CINERGY_FORWARD(char *, virDomainGetMetadata,
                (virDomainPtr domain, int type, const char *uri, unsigned int flags),
                (domain, type, uri, flags))
CINERGY_FORWARD(const char *, virDomainGetName, (virDomainPtr domain), (domain))
CINERGY_FORWARD(int, virDomainGetState,
                (virDomainPtr domain, int *state, int *reason, unsigned int flags),
                (domain, state, reason, flags))
CINERGY_FORWARD(int, virDomainGetUUIDString, (virDomainPtr domain, char *buf), (domain, buf))
CINERGY_FORWARD(int, virDomainGetVcpusFlags, (virDomainPtr domain, unsigned int flags), (domain, flags))
CINERGY_FORWARD(char *, virDomainGetXMLDesc, (virDomainPtr domain, unsigned int flags), (domain, flags))
CINERGY_FORWARD(virDomainPtr, virDomainLookupByUUIDString, (virConnectPtr conn, const char *uuid),
                (conn, uuid))
CINERGY_FORWARD_VOID(virDomainStatsRecordListFree, (virDomainStatsRecordPtr *stats), (stats))
CINERGY_FORWARD(int, virEventRegisterDefaultImpl, (void), ())
CINERGY_FORWARD(int, virEventRunDefaultImpl, (void), ())
CINERGY_FORWARD(virErrorPtr, virGetLastError, (void), ())
CINERGY_FORWARD(int, virInitialize, (void), ())
CINERGY_FORWARD_VOID(virResetLastError, (void), ())
CINERGY_FORWARD_VOID(virSetErrorFunc, (void *userData, virErrorFunc handler), (userData, handler))
CINERGY_FORWARD(int, virTypedParamsGetUInt,
                (virTypedParameterPtr params, int nparams, const char *name, unsigned int *value),
                (params, nparams, name, value))

#pragma GCC visibility pop
