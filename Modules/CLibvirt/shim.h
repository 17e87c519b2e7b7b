#include <libvirt/libvirt.h>
