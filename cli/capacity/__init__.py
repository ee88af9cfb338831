"""`tenantry capacity`: a capacity and cost model of the Azure deployment, by simulation."""
